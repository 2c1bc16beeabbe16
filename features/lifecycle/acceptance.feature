Feature: Acceptance of a matter (受理、不予受理)
  The competent unit decides whether to accept the matter it signed for. An accepted grievance
  enters the petition procedure with its 60-day limit (《信访工作条例》 arts. 31(六), 34); a refusal
  states its reason and its basis.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03

  Scenario: The housing bureau accepts the grievance it signed for
    Given 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    When 伊州区住房和城乡建设局 accepts case A on 2026-03-05
    Then case A stands at "已受理办理中"
    And case A is on the track 第三十一条第（六）项 信访程序

  Scenario: The housing bureau refuses to accept, giving the reason and the basis
    Given 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    When 伊州区住房和城乡建设局 refuses to accept case A on 2026-03-05: "属于人民法院受理范围，已告知信访人依法起诉", under 《信访工作条例》第三十一条第（一）项
    Then case A stands at "不予受理"
    And the refusal of case A gives the reason "属于人民法院受理范围，已告知信访人依法起诉" and the basis 《信访工作条例》第三十一条第（一）项

  Scenario: A matter already accepted cannot be accepted a second time
    Given 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
    When 伊州区住房和城乡建设局 accepts case A on 2026-03-06
    Then the step is refused with "case.wrong_stage"
    And nothing was recorded

  Scenario: A matter cannot be accepted before the unit has signed for it
    When 伊州区住房和城乡建设局 accepts case A on 2026-03-05
    Then the step is refused with "case.wrong_stage"
    And nothing was recorded
