Feature: Review (复查) and re-review (复核)
  A petitioner who disagrees with the reply may ask the organ one level above the handling unit for
  a review within 30 days of receiving it; after the review opinion, the organ one level above that
  for a re-review within 30 days. A last day on a rest day moves to the next working day. After the
  re-review the matter is final: the same facts and reasons are not accepted again
  (《信访工作条例》 arts. 35, 36).

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2025-07-01
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2025-07-02
    And 伊州区住房和城乡建设局 signed for case A on 2025-07-03
    And 伊州区住房和城乡建设局 accepted case A on 2025-07-04
    And 伊州区住房和城乡建设局 issued its reply on case A on 2025-08-25: 不予支持
    And 陈静 approved the reply of 伊州区住房和城乡建设局 on case A on 2025-08-26
    And 伊州区住房和城乡建设局 served the reply on case A on 2025-09-01 by 直接送达

  Rule: A review is requested within 30 days of service (art. 35)

    Scenario: The petitioner asks the district government for a review in time
      When 伊州区人民政府 receives a request for 复查 of case A on 2025-09-20
      Then case A stands at "已申请复查"
      And the request for 复查 of case A was due by 2025-10-09

    Scenario: The 30th day falls on National Day, so the window runs to the next working day
      When 伊州区人民政府 receives a request for 复查 of case A on 2025-10-09
      Then case A stands at "已申请复查"
      And the request for 复查 of case A was due by 2025-10-09

    Scenario: A review requested after the window closed is refused
      When 伊州区人民政府 receives a request for 复查 of case A on 2025-10-10
      Then the step is refused with "review.too_late"
      And nothing was recorded

    Scenario: The unit that handled the matter cannot review its own reply
      When 伊州区住房和城乡建设局 receives a request for 复查 of case A on 2025-09-20
      Then the step is refused with "review.not_above"
      And nothing was recorded

    Scenario: A department of the same level is not the organ one level above
      When 伊州区人力资源和社会保障局 receives a request for 复查 of case A on 2025-09-20
      Then the step is refused with "review.not_above"
      And nothing was recorded

  Rule: A re-review follows a served review opinion (art. 36)

    Scenario: A re-review cannot be requested before the review opinion
      Given 伊州区人民政府 received a request for 复查 of case A on 2025-09-20
      And 伊州区人民政府 took up the 复查 of case A on 2025-09-22
      When 哈密市人民政府 receives a request for 复核 of case A on 2025-10-09
      Then the step is refused with "case.wrong_stage"
      And nothing was recorded

    Scenario: The matter is final once the re-review opinion is served
      Given 伊州区人民政府 received a request for 复查 of case A on 2025-09-20
      And 伊州区人民政府 took up the 复查 of case A on 2025-09-22
      And 伊州区人民政府 issued its 复查 opinion on case A on 2025-10-15: 维持
      And 伊州区人民政府 served its 复查 opinion on case A on 2025-10-16
      And 哈密市人民政府 received a request for 复核 of case A on 2025-10-20
      And 哈密市人民政府 took up the 复核 of case A on 2025-10-21
      And 哈密市人民政府 issued its 复核 opinion on case A on 2025-11-10: 维持
      When 哈密市人民政府 serves its 复核 opinion on case A on 2025-11-12
      Then case A stands at "复核终结"

  Rule: After the re-review nothing more happens on the matter

    Background:
      Given 伊州区人民政府 received a request for 复查 of case A on 2025-09-20
      And 伊州区人民政府 took up the 复查 of case A on 2025-09-22
      And 伊州区人民政府 issued its 复查 opinion on case A on 2025-10-15: 维持
      And 伊州区人民政府 served its 复查 opinion on case A on 2025-10-16
      And 哈密市人民政府 received a request for 复核 of case A on 2025-10-20
      And 哈密市人民政府 took up the 复核 of case A on 2025-10-21
      And 哈密市人民政府 issued its 复核 opinion on case A on 2025-11-10: 维持
      And 哈密市人民政府 served its 复核 opinion on case A on 2025-11-12

    Scenario Outline: <step> is refused on a final matter
      When <step>
      Then the step is refused with "case.closed"
      And nothing was recorded

      Examples:
        | step                                                                       |
        | 哈密市人民政府 receives a request for 复核 of case A on 2025-11-20         |
        | 伊州区人民政府 receives a request for 复查 of case A on 2025-11-20         |
        | 伊州区住房和城乡建设局 records the petitioner's withdrawal of case A on 2025-11-20 |

    Scenario: A new petition on the same facts and reasons cannot be accepted (不再受理)
      Given 伊州区住房和城乡建设局 registered case B on 2025-11-20 with:
        | 重复信访，原事项 | A  |
        | 同一事实和理由   | 是 |
      When 伊州区住房和城乡建设局 accepts case B on 2025-11-21
      Then the step is refused with "final.not_reaccepted"
      And nothing was recorded

    Scenario: The petition bureau cannot pass a final matter on for handling again
      Given 伊州区信访局 registered case B on 2025-11-20 with:
        | 重复信访，原事项 | A  |
        | 同一事实和理由   | 是 |
      When 伊州区信访局 transfers case B to 伊州区住房和城乡建设局 on 2025-11-21
      Then the step is refused with "final.not_reaccepted"
      And nothing was recorded
