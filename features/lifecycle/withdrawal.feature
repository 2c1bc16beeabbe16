Feature: Withdrawal (撤回)
  A petitioner may withdraw a matter that is still open. Once withdrawn, nothing more is done on it.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    And 伊州区住房和城乡建设局 accepted case A on 2026-03-05

  Scenario: The petitioner withdraws the matter
    When 伊州区住房和城乡建设局 records the petitioner's withdrawal of case A on 2026-03-20
    Then case A stands at "已撤回"

  Scenario Outline: <step> is refused after the withdrawal
    Given 伊州区住房和城乡建设局 recorded the petitioner's withdrawal of case A on 2026-03-20
    When <step>
    Then the step is refused with "case.closed"
    And nothing was recorded

    Examples:
      | step                                                                                 |
      | 伊州区住房和城乡建设局 issues its reply on case A on 2026-03-25: 支持                 |
      | 伊州区住房和城乡建设局 makes 孙丽 the handler of case A on 2026-03-25                 |
      | 伊州区住房和城乡建设局 extends case A by 10 days on 2026-03-25, approved by 赵磊       |
      | 伊州区住房和城乡建设局 notes progress on case A on 2026-03-25                         |
      | 伊州区信访局 supervises case A by 书面督办 on 2026-03-25, answer due 2026-04-05        |
      | 伊州区住房和城乡建设局 records the petitioner's withdrawal of case A on 2026-03-25     |
